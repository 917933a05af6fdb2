"""Serial harness: protocol, transports, QEMU launcher and on-device evaluation."""

from tfcompress.harness.client import DeviceInfo, HarnessClient, RunResult
from tfcompress.harness.protocol import crc32, decode_frame, encode_frame

__all__ = ["DeviceInfo", "HarnessClient", "RunResult", "crc32", "decode_frame", "encode_frame"]
