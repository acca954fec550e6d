-- Argo CD health of an ECS Task (ecs.kube-ecs.dev/v1alpha1).
local hs = { status = "Progressing", message = "waiting for the operator" }
if obj.status == nil then
  return hs
end
local s = obj.status
if s.observedGeneration == nil or s.observedGeneration < (obj.metadata.generation or 0) then
  hs.message = "waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
  return hs
end
local function condition(type)
  for _, c in ipairs(s.conditions or {}) do
    if c.type == type then return c end
  end
  return nil
end
local stalled = condition("Stalled")
if s.lastStatus == "STOPPED" then
  local ready = condition("Ready")
  if ready ~= nil and ready.status == "True" then
    hs.status = "Healthy"
    hs.message = "task completed: " .. (s.stoppedReason or "")
  else
    hs.status = "Degraded"
    hs.message = (s.stopCode or "STOPPED") .. ": " .. (s.stoppedReason or "")
  end
  return hs
end
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end
if s.lastStatus == "RUNNING" then
  if s.healthStatus == "UNHEALTHY" then
    hs.status = "Degraded"
    hs.message = "an essential container is UNHEALTHY"
  else
    hs.status = "Healthy"
    hs.message = "task is RUNNING"
  end
  return hs
end
hs.message = "task is " .. (s.lastStatus or "PROVISIONING")
return hs
