"""migbench: stance, framing and named entities in writing on India-US irregular migration."""

__version__ = "0.1.0"

from migbench.commands.scoring import score as score  # noqa: E402 (it reads __version__)
