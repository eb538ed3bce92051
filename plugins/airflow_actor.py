"""The console's ``Actor`` in Airflow (``intakeflow.plugins.monitoring.actions``): the
logged-in user as Airflow's API server resolves it (JWT cookie or bearer token), and edit
permission on a DAG as Airflow's configured auth manager answers it:
``is_authorized_dag(method="PUT", details=DagDetails(id=..., team_name=...))``, the check
Airflow's own REST API makes before it changes a DAG's runs. Imported by the plugin in the
API server only."""

from __future__ import annotations

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.models.dag import DagModel


class AirflowActor:
    def __init__(self, user: BaseUser) -> None:
        self.user = user

    @property
    def name(self) -> str:
        return str(self.user.get_name())

    def can_edit(self, dag_id: str | None) -> bool:
        team = DagModel.get_team_name(dag_id) if dag_id else None
        return bool(get_auth_manager().is_authorized_dag(method="PUT", details=DagDetails(id=dag_id, team_name=team),
                                                         user=self.user))


def airflow_actor(user: GetUserDep) -> AirflowActor:
    """FastAPI dependency: the request's user (401 when logged out, as every route)."""
    return AirflowActor(user)
