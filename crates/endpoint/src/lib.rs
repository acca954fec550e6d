//! The ECS API endpoint: ECS's AWS JSON 1.1 protocol over the kube-ecs custom resources. Requests are
//! authenticated with SigV4 against access keys kept in Kubernetes Secrets; each key names a
//! Kubernetes identity that the endpoint impersonates, so the apiserver's RBAC decides every read and
//! write. There is no second store: every action reads and writes the CRDs.
