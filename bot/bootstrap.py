"""The one place where the concrete parts are built from the config and wired together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.app import GridBot
from bot.casework import build_commands
from bot.config import Config, TelegramConfig, WechatConfig
from bot.delivery import Delivery
from bot.duplicates import Duplicates
from bot.intake import Intake, staff_speak_freely
from bot.jobs import Jobs
from bot.messages import Platform
from bot.pipeline import Pipeline, skip_non_text
from bot.ports import ChatAdapter, Classifier
from bot.residents import rating_reply
from classifiers import MODEL_DIR, Example, TrainedClassifier
from classifiers.duplicates import PAIR_MODEL, DuplicateIndex, PairModel
from storage import SqlStore, make_engine, migrate

_LOGGER = logging.getLogger(__name__)


class ModelMissing(Exception):
    """The trained model cannot be loaded; the message says how to make one."""


def build_classifier(config: Config) -> Classifier:
    """The trained classifier: the config's model folder, else the one shipped in the package.

    Raises:
        ModelMissing: the folder has no model in it.
    """
    folder = config.classifier.model or MODEL_DIR
    try:
        return TrainedClassifier(folder)
    except FileNotFoundError:
        raise ModelMissing(
            f"no trained model in {folder}; run `gridbot train --out {folder}` "
            "or remove classifier.model from the config to use the shipped one"
        ) from None


def pair_model(config: Config) -> PairModel:
    """The duplicate model in the config's model folder (written there by `gridbot train`),
    else the one shipped in the package.

    Raises:
        ModelMissing: the folder's duplicate model is unreadable or of other features.
    """
    path = (config.classifier.model or MODEL_DIR) / PAIR_MODEL.name
    if not path.exists():
        _LOGGER.info("no duplicate model in %s: using the shipped one", path.parent)
        path = PAIR_MODEL
    try:
        return PairModel.load(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelMissing(
            f"cannot use the duplicate model {path} ({exc}); "
            f"run `gridbot train --out {path.parent}`"
        ) from None


def corrections(config: Config, database_url: str | None = None) -> list[Example]:
    """The messages gridworkers have labelled, as training examples."""
    store = open_store(database_url or config.database.url)
    return [
        Example(f"correction-{i}", e.text, e.triage.value, e.category, e.urgent)
        for i, e in enumerate(store.labelled_examples(), start=1)
    ]


def open_store(url: str) -> SqlStore:
    """Open the database at `url`, bringing its schema up to date.

    Raises:
        storage.DatabaseError: it cannot be reached or migrated.
    """
    engine = make_engine(url)
    migrate(engine)
    return SqlStore(engine)


def build_bot(
    config: Config,
    *,
    database_url: str | None = None,
    classifier: Classifier | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> GridBot:
    """Build the bot the config describes (`database_url` overrides the config's)."""
    store = open_store(database_url or config.database.url)
    commands = build_commands()
    classifier = classifier or build_classifier(config)
    duplicates = Duplicates(
        DuplicateIndex(
            threshold=config.duplicates.threshold,
            window=timedelta(days=config.duplicates.window_days),
            model=pair_model(config),
            places={grid_id: grid.places for grid_id, grid in config.grids.items()},
        ),
        classifier,
        follow_window=timedelta(minutes=config.duplicates.follow_minutes),
        near_copy=config.duplicates.near_copy,
    )
    stages = (
        skip_non_text,
        commands.parse,
        commands.authorize,
        commands.run,
        rating_reply,
        staff_speak_freely,
        duplicates.follow_ups,
        Intake(classifier, config.classifier.confidence_threshold, duplicates),
    )
    pipeline = Pipeline(config, store, stages, clock=clock)

    def limit_for(platform: str, chat_id: str) -> int:
        return config.grid_of_chat(platform, chat_id).schedule.max_posts_per_minute

    delivery = Delivery(store, clock, limit_for=limit_for)
    jobs = Jobs(config, store)
    return GridBot(config=config, store=store, pipeline=pipeline, delivery=delivery, jobs=jobs)


class PlatformProblem(Exception):
    """A configured platform cannot be used; the message says what to set or install."""


def build_adapters(config: Config) -> list[ChatAdapter]:
    """An adapter for each real platform some grid has a chat on (the console is `gridbot
    chat`'s).

    Raises:
        PlatformProblem: a token is missing, or the WeChat extra is not installed.
    """
    adapters: list[ChatAdapter] = []
    for platform in config.platforms_in_use():
        if platform is Platform.TELEGRAM:
            adapters.append(_telegram(config.platforms.telegram))
        elif platform is Platform.WECHAT:
            adapters.append(_wechat(config.platforms.wechat))
    return adapters


def _telegram(settings: TelegramConfig) -> ChatAdapter:
    from adapters.telegram import TelegramAdapter, TelegramSettings

    token = settings.token()
    if token is None:
        raise PlatformProblem(
            f"a grid has a Telegram chat but {settings.token_env} is not set: "
            f"export {settings.token_env}=<the token BotFather gave you>"
        )
    return TelegramAdapter(
        TelegramSettings(
            token=token,
            api_url=settings.api_url,
            mode=settings.mode,
            webhook_url=settings.webhook_url,
            webhook_listen=settings.webhook_listen,
            webhook_port=settings.webhook_port,
        )
    )


def _wechat(settings: WechatConfig) -> ChatAdapter:
    try:
        from adapters.wechat import WechatAdapter
    except ImportError as exc:
        raise PlatformProblem(
            f"a grid has a WeChat chat but the WeChat extra is not installed ({exc}): "
            "pip install 'gridbot[wechat]'"
        ) from None
    token = settings.token()
    if token is None:
        raise PlatformProblem(
            f"a grid has a WeChat chat but {settings.token_env} is not set: export "
            f"{settings.token_env}=<the token of your Wechaty puppet service>"
        )
    return WechatAdapter(endpoint=settings.endpoint, token=token)
