"""Local stand-ins for the services statusbot talks to: real HTTP servers on 127.0.0.1."""

from .webhook_receiver import Received, Reply, WebhookReceiver, verify_standard_webhook

__all__ = ["Received", "Reply", "WebhookReceiver", "verify_standard_webhook"]
