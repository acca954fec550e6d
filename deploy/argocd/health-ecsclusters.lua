-- Argo CD health of an EcsCluster (ecs.kube-ecs.dev/v1alpha1).
local hs = { status = "Progressing", message = "waiting for the operator" }
if obj.status == nil then
  return hs
end
local s = obj.status
if s.observedGeneration == nil or s.observedGeneration < (obj.metadata.generation or 0) then
  hs.message = "waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
local ready = nil
for _, c in ipairs(s.conditions or {}) do
  if c.type == "Stalled" and c.status == "True" then
    hs.status = "Degraded"
    hs.message = c.message
    return hs
  end
  if c.type == "Ready" then ready = c end
end
if s.status == "FAILED" then
  hs.status = "Degraded"
  hs.message = ready and ready.message or "the cluster failed"
  return hs
end
if s.status == "ACTIVE" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
hs.message = ready and ready.message or (s.status or "PROVISIONING")
return hs
