-- promote: only a Validated version that is not in Production yet.
local actions = {}
actions["promote"] = {["disabled"] = true}
if obj.status ~= nil and obj.status.phase == "Validated" then
  local stage = nil
  if obj.spec ~= nil then
    stage = obj.spec.stage
  end
  if stage ~= "Production" then
    actions["promote"]["disabled"] = false
  end
end
return actions
