"""Operations: what an operator's systems read from a process (Prometheus metrics, liveness
and readiness probes). Instrumentation stays out of the domain: the adapter's modules
count and time at their edges with the metrics here."""
