-- Production: the operator archives the model's previous Production version, and
-- ModelDeployments with policy "stage" switch to this one.
obj.spec.stage = "Production"
return obj
