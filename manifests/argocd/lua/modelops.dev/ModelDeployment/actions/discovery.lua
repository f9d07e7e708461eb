-- retrain: only with a retraining policy and a served version to retrain.
local actions = {}
actions["retrain"] = {["disabled"] = true}
if obj.spec ~= nil and obj.spec.retraining ~= nil and obj.status ~= nil and obj.status.currentVersion ~= nil then
  actions["retrain"]["disabled"] = false
end
return actions
