-- Health of a TrainingRun, from status.phase: a finished run is Healthy or Degraded for
-- good; spec.suspend shows as Suspended until the operator has acted on it.
local hs = {status = "Progressing", message = "Waiting for the operator"}
if obj.status == nil or obj.status.phase == nil then
  return hs
end
local phase = obj.status.phase
local message = obj.status.message
if phase == "Succeeded" then
  hs.status = "Healthy"
  if obj.status.modelVersion ~= nil then
    hs.message = "Registered ModelVersion " .. obj.status.modelVersion
  else
    hs.message = "Trained; registering the ModelVersion"
  end
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = message or "Training failed"
elseif phase == "Suspended" or (obj.spec ~= nil and obj.spec.suspend == true) then
  hs.status = "Suspended"
  hs.message = message or "Suspended: set spec.suspend to false to resume"
else
  hs.message = message or ("Training is " .. phase)
end
return hs
