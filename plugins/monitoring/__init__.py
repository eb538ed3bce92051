"""The monitoring page: figures from the store (``queries``), SVG charts (``charts``), HTML
(``html``) and the FastAPI app serving them (``app``). No Airflow imports: the Airflow
plugin (``intakeflow.plugins.plugin``) mounts the app and supplies authentication."""
