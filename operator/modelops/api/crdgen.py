"""Placeholder replaced in the next step."""
import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true")


def main(args: argparse.Namespace) -> int:
    return 0
