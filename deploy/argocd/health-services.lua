-- Argo CD health of an ECS Service (ecs.kube-ecs.dev/v1alpha1).
local hs = { status = "Progressing", message = "waiting for the operator" }
if obj.status == nil then
  return hs
end
local s = obj.status
if s.observedGeneration == nil or s.observedGeneration < (obj.metadata.generation or 0) then
  hs.message = "waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
for _, c in ipairs(s.conditions or {}) do
  if c.type == "Stalled" and c.status == "True" then
    hs.status = "Degraded"
    hs.message = c.message
    return hs
  end
end
local primary = nil
for _, d in ipairs(s.deployments or {}) do
  if d.status == "PRIMARY" then primary = d end
end
if primary ~= nil and primary.rolloutState == "FAILED" then
  hs.status = "Degraded"
  hs.message = primary.rolloutStateReason or "the deployment failed"
  return hs
end
local desired = s.desiredCount or (obj.spec and obj.spec.desiredCount) or 0
if desired == 0 and (obj.spec == nil or obj.spec.schedulingStrategy ~= "DAEMON") then
  hs.status = "Suspended"
  hs.message = "desiredCount is 0"
  return hs
end
if primary ~= nil and primary.rolloutState == "COMPLETED" and (s.runningCount or 0) == desired then
  hs.status = "Healthy"
  hs.message = tostring(s.runningCount) .. "/" .. tostring(desired) .. " tasks running"
  return hs
end
hs.message = tostring(s.runningCount or 0) .. "/" .. tostring(desired) .. " tasks running"
return hs
