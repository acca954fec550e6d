-- Argo CD health of an ECS ScheduledTask (ecs.kube-ecs.dev/v1alpha1): Healthy while it runs on
-- schedule (or has completed), Suspended while DISABLED (as a suspended CronJob), Degraded when the
-- schedule is invalid. A run's Tasks have health of their own.
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
  if c.type == "Valid" and c.status == "False" then
    hs.status = "Degraded"
    hs.message = c.message
    return hs
  end
end
if s.state == "DISABLED" then
  hs.status = "Suspended"
  hs.message = "the schedule is DISABLED"
  return hs
end
for _, c in ipairs(s.conditions or {}) do
  if c.type == "Ready" and c.status == "True" then
    hs.status = "Healthy"
    hs.message = c.message
    return hs
  end
end
return hs
