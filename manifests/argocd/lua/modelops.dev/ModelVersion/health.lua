-- Health of a ModelVersion, from its scan: Validated is Healthy (Suspended once Archived,
-- as it is kept but out of service), Rejected is Degraded, anything else is in progress.
local hs = {status = "Progressing", message = "Waiting for the scan"}
if obj.status == nil or obj.status.phase == nil then
  return hs
end
local phase = obj.status.phase
local stage = obj.status.stage or "None"
if phase == "Validated" then
  if stage == "Archived" then
    hs.status = "Suspended"
    hs.message = "Archived: validated, no longer served"
  else
    hs.status = "Healthy"
    hs.message = "Validated; stage " .. stage
  end
elseif phase == "Rejected" then
  hs.status = "Degraded"
  hs.message = obj.status.message or "Rejected by the scan"
else
  hs.message = obj.status.message or ("Scan " .. phase)
end
return hs
