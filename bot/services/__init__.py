"""The rules of zoomcal. Handlers call one method here; storage and clients do the I/O."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.audit_log import AuditLogService
from bot.services.base import Deps
from bot.services.callback import ConsentCallbackService
from bot.services.check import CheckService
from bot.services.configure import ConfigureService
from bot.services.disable import DisableService
from bot.services.enable import EnableService
from bot.services.health import HealthService
from bot.services.overview import OverviewService
from bot.services.preflight import PreflightService
from bot.services.usage import UsageService
from bot.services.verify import VerifyService
from bot.services.workspaces import WorkspaceService


@dataclass(frozen=True)
class Services:
    deps: Deps
    enable: EnableService
    callback: ConsentCallbackService
    disable: DisableService
    overview: OverviewService
    verify: VerifyService
    audit_log: AuditLogService
    configure: ConfigureService
    workspaces: WorkspaceService
    check: CheckService
    health: HealthService
    preflight: PreflightService
    usage: UsageService

    @classmethod
    def build(cls, deps: Deps) -> Services:
        return cls(
            deps,
            EnableService(deps),
            ConsentCallbackService(deps),
            DisableService(deps),
            OverviewService(deps),
            VerifyService(deps),
            AuditLogService(deps),
            ConfigureService(deps),
            WorkspaceService(deps),
            CheckService(deps),
            HealthService(deps),
            PreflightService(deps),
            UsageService(deps),
        )
