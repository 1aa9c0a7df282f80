"""Feedback from the café's guests."""

from __future__ import annotations

from engine.actions import ActionContext, Result, action


@action(provides=("feedback_phone",))
async def send(ctx: ActionContext, *, text: str, phone: str) -> Result:
    """Record the guest's feedback with the phone they shared."""
    ctx.log.info("feedback from %s (%d characters)", phone[-4:], len(text))
    return Result.ok(feedback_phone=phone)
