"""The embedding service: one process per server holding the embedding model and the
shared vector cache (service.py, vector_cache.py), started and restarted by the API
(supervisor.py). Clients live in stores/labeling/embedding_client.py."""
