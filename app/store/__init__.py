"""The storage layer: the Redis client and its topologies, keys, the repository and its
scripts, the circuit breaker, the embedded server. Nothing here imports Flask.
"""
