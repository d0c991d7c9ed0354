"""Optional WebRTC audio (the ``webrtc`` extra): one media host per room mixes everyone.

``host`` and ``mixing`` need the extra (aiortc, numpy); ``gateway``, ``lease`` and
``signalling`` do not, and import ``host`` only when a room's audio starts, after
``require_webrtc``. A test builds the app with aiortc and numpy hidden.
"""

from __future__ import annotations

import importlib.util

from server.errors import ServerCode, ServerError

INSTALL_HINT = "pip install 'hearth[webrtc]'  (or: pip install -e '.[webrtc]')"


def webrtc_available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("aiortc", "numpy", "av"))


def require_webrtc() -> None:
    """Refuse, with the install command, when this server cannot host audio."""
    if not webrtc_available():
        raise ServerError(
            f"this server has no audio support installed; install it with: {INSTALL_HINT}",
            ServerCode.MEDIA_UNAVAILABLE,
        )
