-- The operator suspends the run's Job; its pods stop until resumed.
obj.spec.suspend = true
return obj
