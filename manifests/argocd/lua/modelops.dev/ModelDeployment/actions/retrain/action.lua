-- Ask the operator for a retraining now, drift or not: it starts a TrainingRun from
-- spec.retraining.template once per new value of the annotation.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["modelops.dev/retrain-requested"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
