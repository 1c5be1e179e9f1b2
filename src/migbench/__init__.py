"""migbench: stance, framing and named entities in writing on India-US irregular migration."""

__version__ = "0.1.0"
