"""Operations: Prometheus metrics, health probes, request ids and structured logs.

Nothing here is a feature: it is what an operator needs to run Agora behind a load balancer, on Kubernetes,
with a log pipeline and a Prometheus server. No tenant is ever involved in these endpoints.
"""
