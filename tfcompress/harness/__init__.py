"""Serial harness: protocol, transports, QEMU launcher and on-device evaluation."""

from tfcompress.harness.client import DeviceInfo, HarnessClient, RunResult, TensorInfo, VersionMismatch
from tfcompress.harness.protocol import crc32, decode_frame, encode_frame

__all__ = ["DeviceInfo", "HarnessClient", "RunResult", "TensorInfo", "VersionMismatch", "crc32", "decode_frame",
           "encode_frame"]
