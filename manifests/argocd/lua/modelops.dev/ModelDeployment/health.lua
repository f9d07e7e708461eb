-- Health of a ModelDeployment, from its conditions (Ready, Available, Progressing).
local hs = {status = "Progressing", message = "Waiting for the operator"}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local generation = obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed < generation then
  hs.message = "Waiting for the operator to act on the new spec"
  return hs
end
local found = {}
for _, condition in ipairs(obj.status.conditions) do
  found[condition.type] = condition
end
local ready = found["Ready"]
local available = found["Available"]
local progressing = found["Progressing"]
local drift = found["DriftDetected"]
if ready == nil then
  return hs
end
hs.message = ready.message or ready.reason or ""
if ready.status == "True" then
  hs.status = "Healthy"
  if drift ~= nil and drift.status == "True" then
    hs.message = hs.message .. "; drift detected: " .. (drift.message or "")
  end
elseif ready.reason == "ScaledToZero" then
  hs.status = "Suspended"
elseif ready.reason == "InvalidSpec" then
  hs.status = "Degraded"
elseif progressing ~= nil and progressing.status == "True" then
  hs.status = "Progressing"
elseif available ~= nil and available.status == "False" and available.reason == "NoReplicasAvailable" then
  hs.status = "Degraded"
end
return hs
