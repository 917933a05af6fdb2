"""Firmware project generation (model C + harness + board support + Makefile) and build."""

from tfcompress.project.build import BuildResult, build_project, require_toolchain
from tfcompress.project.generate import ProjectInfo, generate_project
from tfcompress.project.sizecheck import check_fits, parse_model_header

__all__ = [
    "BuildResult",
    "ProjectInfo",
    "build_project",
    "check_fits",
    "generate_project",
    "parse_model_header",
    "require_toolchain",
]
