"""HTTP clients of the API server, used by run processes and the CLI: the StoreClient
over HTTP (`store_client.py`), run event reporting (`reporting.py`) and `wirework run`
on a running server (`remote_run.py`)."""
