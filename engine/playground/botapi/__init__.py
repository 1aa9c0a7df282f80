"""A local Telegram Bot API emulator (generic: it knows nothing about any particular bot).

* :class:`BotApiEmulator` - the world (bots, users, chats, messages, files, updates) and the user
  side (``send_text``, ``click``, ``share_contact``, ...), plus recorded :class:`ApiCall` s;
* :class:`EmulatorServer` - the Bot API over HTTP on loopback (for aiogram's ``AiohttpSession``);
  a bot that sets a webhook gets its updates POSTed there (:mod:`.webhooks`; ``http://`` only
  with ``BotApiEmulator(allow_http_webhooks=True)``, and only to loopback addresses);
* :class:`EmulatorSession` - the same dispatch in process, as an aiogram session;
* :func:`load_schema` - the compact Bot API schema all requests are validated against.
"""

from .dispatch import ApiReply, dispatch
from .emulator import BotApiEmulator
from .errors import ApiError, EmulatorError
from .records import (
    ApiCall,
    BotAccount,
    Button,
    CallbackAnswer,
    Chat,
    ChatMessage,
    StoredFile,
    UserAccount,
)
from .server import EmulatorServer
from .session import EmulatorSession
from .spec import BotApiSchema, build_compact_schema, load_schema
from .updates import QueuedUpdate
from .uploads import Upload
from .webhooks import SECRET_HEADER, DeliveryAttempt

__all__ = [
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "ApiReply",
    "BotAccount",
    "BotApiEmulator",
    "BotApiSchema",
    "Button",
    "CallbackAnswer",
    "Chat",
    "ChatMessage",
    "DeliveryAttempt",
    "EmulatorError",
    "EmulatorServer",
    "EmulatorSession",
    "QueuedUpdate",
    "StoredFile",
    "Upload",
    "UserAccount",
    "build_compact_schema",
    "dispatch",
    "load_schema",
]
