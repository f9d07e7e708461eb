-- suspend while the run can still run; resume once it is suspended.
local actions = {}
actions["suspend"] = {["disabled"] = true}
actions["resume"] = {["disabled"] = true}
local phase = nil
if obj.status ~= nil then
  phase = obj.status.phase
end
if phase == "Succeeded" or phase == "Failed" then
  return actions
end
if obj.spec ~= nil and obj.spec.suspend == true then
  actions["resume"]["disabled"] = false
else
  actions["suspend"]["disabled"] = false
end
return actions
