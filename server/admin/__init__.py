"""The admin's side: what an admin may do (``room_admin``, for the API and the CLI), the
REST API and its OpenAPI document, and the public meeting feed."""
