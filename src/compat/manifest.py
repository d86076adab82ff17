"""The manifest: providers (columns), tiers (aggregated per cell), features (rows), n/a cells."""

from __future__ import annotations

import difflib
import os
from collections import Counter
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compat.files import load_yaml, parse_model, problems_error

SCHEMA_VERSION = "1"
DEFAULT_FAMILY = "claude"
FAMILY_PATTERN = r"^[a-z][a-z0-9_]*$"
DEFAULT_MANIFEST = Path("manifest.yaml")

# Strict: YAML's `yes` or `"60"` is a typo here, not a rate of 1 or 60.
RequestsPerMinute = Annotated[int, Field(strict=True, gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider(_Strict):
    """An upstream provider column, e.g. `bedrock_converse` shown as "Bedrock (Converse)"."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    family: str = Field(default=DEFAULT_FAMILY, pattern=FAMILY_PATTERN)
    """The model family the column serves; its tiers are the tiers of that family."""
    alias_suffix: str = ""
    """Appended to a tier's alias stem (`claude-<tier>`) to form this provider's LiteLLM alias."""
    requests_per_minute: RequestsPerMinute | None = None
    """Live-mode pacing: upstream requests per minute for all its tiers together (unset: none)."""


class Tier(_Strict):
    """A model tier, with the upstream model id each provider uses for it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    name: str = Field(min_length=1)
    family: str = Field(default=DEFAULT_FAMILY, pattern=FAMILY_PATTERN)
    """The providers this tier runs on: those of the same family."""
    alias_stem: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9.-]*$")
    """The alias before the provider's suffix; `claude-<id>` unless set."""
    models: dict[str, str]

    @property
    def stem(self) -> str:
        return self.alias_stem or f"claude-{self.id}"

    @field_validator("models")
    @classmethod
    def _non_empty_ids(cls, models: dict[str, str]) -> dict[str, str]:
        for provider, model_id in models.items():
            if not model_id.strip():
                raise ValueError(f"empty model id for provider {provider!r}")
        return models


class Feature(_Strict):
    """A matrix row: one Claude Code capability."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)


class ContractCheck(_Strict):
    """A row of the gateway-contract table: one rule of the gateway guide, checked per route."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    section: str = Field(pattern=r"^[a-z0-9-]+$")
    """The guide's section anchor the rule is in, e.g. `streaming`."""
    quote: str = Field(min_length=1)
    """The guide's sentence the check enforces, as the guide words it."""


class GatewayContract(_Strict):
    """The second table: the gateway guide's rules, one column per provider route."""

    guide: str = Field(pattern=r"^https://")
    tier: str
    """The one tier each check runs on: the contract is the route's, not the model's."""
    checks: list[ContractCheck] = Field(min_length=1)

    def section_url(self, check: ContractCheck) -> str:
        return f"{self.guide}#{check.section}"


class NotApplicableDeclaration(_Strict):
    """A declared not-applicable cell; omitting feature, provider or tier widens it to all."""

    feature: str | None = None
    provider: str | None = None
    family: str | None = None
    """Every provider of this model family (instead of naming one `provider`)."""
    tier: str | None = None
    reason: str = Field(min_length=1)


class Manifest(_Strict):
    schema_version: Literal["1"]
    providers: list[Provider] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    features: list[Feature] = Field(min_length=1)
    not_applicable: list[NotApplicableDeclaration] = Field(default_factory=list)
    gateway_contract: GatewayContract | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    @cached_property
    def provider_ids(self) -> list[str]:
        return [p.id for p in self.providers]

    @cached_property
    def tier_ids(self) -> list[str]:
        return [t.id for t in self.tiers]

    @cached_property
    def feature_ids(self) -> list[str]:
        return [f.id for f in self.features]

    @cached_property
    def check_ids(self) -> list[str]:
        """The gateway-contract checks, in table order (none without a contract table)."""
        return [c.id for c in self.gateway_contract.checks] if self.gateway_contract else []

    @cached_property
    def row_ids(self) -> list[str]:
        """What a cell's first coordinate may be: a feature, or a contract check."""
        return self.feature_ids + self.check_ids

    def check(self, check_id: str) -> ContractCheck:
        assert self.gateway_contract is not None
        return next(c for c in self.gateway_contract.checks if c.id == check_id)

    @cached_property
    def requests_per_minute(self) -> dict[str, int]:
        """The providers with a live-mode pacing rate, and that rate."""
        return {p.id: p.requests_per_minute for p in self.providers if p.requests_per_minute}

    def provider(self, provider_id: str) -> Provider:
        return next(p for p in self.providers if p.id == provider_id)

    def tier(self, tier_id: str) -> Tier:
        return next(t for t in self.tiers if t.id == tier_id)

    def feature(self, feature_id: str) -> Feature:
        return next(f for f in self.features if f.id == feature_id)

    @cached_property
    def unserved_provider_ids(self) -> list[str]:
        """Columns declared not applicable as a whole: the proxy gets no deployment for them."""
        return [
            p
            for p in self.provider_ids
            if any(
                e.provider == p and e.feature is None and e.tier is None
                for e in self.not_applicable
            )
        ]

    def tiers_for(self, provider_id: str) -> list[Tier]:
        """The tiers a provider's column runs: those of its model family, in manifest order."""
        family = self.provider(provider_id).family
        return [t for t in self.tiers if t.family == family]

    def tier_ids_for(self, provider_id: str) -> list[str]:
        return [t.id for t in self.tiers_for(provider_id)]

    def deployments(self) -> list[tuple[Provider, Tier]]:
        """Every (provider, tier) the proxy serves, in manifest order."""
        return [
            (p, t)
            for p in self.providers
            if p.id not in self.unserved_provider_ids
            for t in self.tiers_for(p.id)
        ]

    def upstream_model(self, provider_id: str, tier_id: str) -> str:
        return self.tier(tier_id).models[provider_id]

    def proxy_alias(self, provider_id: str, tier_id: str) -> str:
        """The LiteLLM model alias for a (provider, tier), e.g. `claude-haiku-4-5-vertex`."""
        return f"{self.tier(tier_id).stem}{self.provider(provider_id).alias_suffix}"

    def contract_providers(self) -> list[str]:
        """The routes the gateway contract runs on: the providers of its tier's family."""
        if self.gateway_contract is None:
            return []
        family = self.tier(self.gateway_contract.tier).family
        return [
            p.id
            for p in self.providers
            if p.family == family and p.id not in self.unserved_provider_ids
        ]

    def not_applicable_reason(self, feature_id: str, provider_id: str, tier_id: str) -> str | None:
        family = self.provider(provider_id).family
        for entry in self.not_applicable:
            if (
                entry.feature in (None, feature_id)
                and entry.provider in (None, provider_id)
                and entry.family in (None, family)
                and entry.tier in (None, tier_id)
            ):
                return entry.reason
        return None

    def cells(self) -> list[tuple[str, str, str]]:
        """Every (feature, provider, tier) in manifest order, then every contract check's."""
        cells = [
            (f.id, p.id, t.id)
            for f in self.features
            for p in self.providers
            for t in self.tiers_for(p.id)
        ]
        if self.gateway_contract is not None:
            tier = self.gateway_contract.tier
            cells += [(c, p, tier) for c in self.check_ids for p in self.contract_providers()]
        return cells


def suggest(value: str, choices: list[str]) -> str:
    """A ` (did you mean 'x'?)` hint, or a list of the valid choices."""
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (expected one of: {', '.join(choices)})"


def _duplicates(label: str, ids: list[str]) -> list[str]:
    return [f"{label}: duplicate id {i!r}" for i, n in Counter(ids).items() if n > 1]


def _semantic_problems(m: Manifest) -> list[str]:
    problems: list[str] = []
    problems += _duplicates("providers", m.provider_ids)
    problems += _duplicates("tiers", m.tier_ids)
    problems += _duplicates("features and gateway_contract.checks", m.row_ids)
    if m.gateway_contract is not None and m.gateway_contract.tier not in m.tier_ids:
        tier = m.gateway_contract.tier
        problems.append(f"gateway_contract.tier: unknown tier {tier!r}{suggest(tier, m.tier_ids)}")
    families = {p.family for p in m.providers}
    for index, provider in enumerate(m.providers):
        if not any(t.family == provider.family for t in m.tiers):
            problems.append(
                f"providers[{index}] ({provider.id}).family: no tier of family "
                f"{provider.family!r} (tiers run on the providers of their own family)"
            )
    aliases = [m.proxy_alias(p.id, t.id) for p, t in m.deployments()]
    problems += _duplicates("providers[].alias_suffix gives an alias with", aliases)
    for tier_index, tier in enumerate(m.tiers):
        where = f"tiers[{tier_index}] ({tier.id})"
        if tier.family not in families:
            problems.append(
                f"{where}.family: no provider of family {tier.family!r}"
                f"{suggest(tier.family, sorted(families))}"
            )
        family_providers = [p.id for p in m.providers if p.family == tier.family]
        for provider_id in family_providers:
            if provider_id not in tier.models and provider_id not in m.unserved_provider_ids:
                problems.append(
                    f"{where}.models: missing the upstream model id for provider {provider_id!r}"
                )
        for provider_id in tier.models:
            if provider_id not in m.provider_ids:
                problems.append(
                    f"{where}.models: unknown provider "
                    f"{provider_id!r}{suggest(provider_id, m.provider_ids)}"
                )
            elif provider_id not in family_providers:
                problems.append(
                    f"{where}.models: provider {provider_id!r} serves family "
                    f"{m.provider(provider_id).family!r}, not this tier's {tier.family!r}"
                )
    seen: set[tuple[str, str | None, str | None]] = set()
    for index, entry in enumerate(m.not_applicable):
        where = f"not_applicable[{index}]"
        for field, value, choices in (
            ("feature", entry.feature, m.row_ids),
            ("provider", entry.provider, m.provider_ids),
            ("tier", entry.tier, m.tier_ids),
        ):
            if value is not None and value not in choices:
                problems.append(
                    f"{where}.{field}: unknown {field} {value!r}{suggest(value, choices)}"
                )
        if entry.family is not None and entry.family not in families:
            hint = suggest(entry.family, sorted(families))
            problems.append(f"{where}.family: unknown family {entry.family!r}{hint}")
        if entry.family is not None and entry.provider is not None:
            problems.append(f"{where}: give provider or family, not both")
        if (
            entry.provider in m.provider_ids
            and entry.tier in m.tier_ids
            and entry.tier not in m.tier_ids_for(entry.provider)
        ):
            problems.append(
                f"{where}.tier: tier {entry.tier!r} does not run on provider {entry.provider!r} "
                f"(expected one of: {', '.join(m.tier_ids_for(entry.provider))})"
            )
        key = (entry.feature, entry.provider or entry.family, entry.tier)
        if key in seen:
            problems.append(f"{where}: duplicate declaration for {_describe_cell(*key)}")
        seen.add(key)
    return problems


def _describe_cell(feature: str | None, provider: str | None, tier: str | None) -> str:
    return f"({feature or 'every row'}, {provider or 'every provider'}, {tier or 'every tier'})"


def load_manifest(path: Path | str | None = None) -> Manifest:
    """Load and fully validate a manifest; raises InputError (exit 2) listing every problem."""
    path = Path(path) if path is not None else default_manifest_path()
    data = load_yaml(path, "manifest")
    if isinstance(data, dict) and "schema_version" in data:
        version = data["schema_version"]
        if version != SCHEMA_VERSION:
            raise problems_error(
                path,
                [f'schema_version: expected "{SCHEMA_VERSION}" (a string), found {version!r}'],
            )
    manifest = parse_model(Manifest, data, path, "manifest")
    problems = _semantic_problems(manifest)
    if problems:
        raise problems_error(path, problems)
    return manifest


def default_manifest_path() -> Path:
    """`$COMPAT_MANIFEST`, else `manifest.yaml` in the working directory."""
    return Path(os.environ.get("COMPAT_MANIFEST", DEFAULT_MANIFEST))
