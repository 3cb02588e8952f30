"""The consent link button is a URL button: Slack still sends a click, which must be acked."""

from slack_bolt.context.ack.async_ack import AsyncAck


async def consent_link_opened(ack: AsyncAck) -> None:
    await ack()
