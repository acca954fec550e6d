-- Argo CD health of the Cloud Map kinds, DiscoveryNamespace and DiscoveryService
-- (ecs.kube-ecs.dev/v1alpha1): Healthy once the operator reports it Ready (its id in status), Degraded
-- while Stalled (a DNS name another namespace holds, or a namespace that does not exist), Progressing
-- until the operator has observed its generation.
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
for _, c in ipairs(s.conditions or {}) do
  if c.type == "Ready" and c.status == "True" then
    hs.status = "Healthy"
    hs.message = c.message
    return hs
  end
end
return hs
