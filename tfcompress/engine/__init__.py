"""The inference engine: .tflite -> ahead-of-time C, bit-exact with TFLite Micro.

``tfcompress.engine.compiler.compile_tflite(path_or_bytes, kernels="reference") -> CompiledModel``;
``tfcompress.engine.host`` builds and runs the C on the host, ``tfcompress.engine.validate``
compares it with TFLite Micro. This package module imports nothing, so code that only needs a
light part of the engine (the kernel-set names, the op table) does not load (or depend on) the rest.
"""
