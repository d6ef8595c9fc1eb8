"""A channel's own state: disabled by its receiver (HTTP 410) until the user enables it again.

The ``channel_states`` table; a disabled channel's pending deliveries fail at once, and
``firealarm redeliver --channel NAME`` enables it again. Channels are configured in
:mod:`monitor.config.channels` and sent through by :mod:`monitor.delivery.senders`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.store.models import ChannelState, Delivery


def disable_channel(session: Session, channel: str, now: datetime, reason: str) -> bool:
    """Mark ``channel`` disabled and fail its pending deliveries; whether it was enabled before."""
    state = session.get(ChannelState, channel)
    if state is not None and state.disabled_at is not None:
        return False
    state = state or ChannelState(channel=channel)
    state.disabled_at, state.reason = now, reason
    session.add(state)
    session.execute(
        update(Delivery)
        .where(Delivery.channel == channel, Delivery.status == "pending")
        .values(status="failed", last_error=f"channel {channel} disabled: {reason}")
        .execution_options(synchronize_session=False)
    )
    return True


def disabled_channels(session: Session) -> dict[str, str]:
    """Disabled channel → why."""
    rows = session.execute(
        select(ChannelState.channel, ChannelState.reason).where(
            ChannelState.disabled_at.is_not(None)
        )
    )
    return {channel: reason or "disabled" for channel, reason in rows}


def enable_channel(session: Session, channel: str) -> None:
    """Clear a channel's disabled mark (``firealarm redeliver`` does, on the user's word)."""
    state = session.get(ChannelState, channel)
    if state is not None:
        session.delete(state)
