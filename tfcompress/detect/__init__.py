"""Object detection: anchors and box coding (:mod:`.boxes`), the SSD loss (:mod:`.loss`), mAP
(:mod:`.metric`)."""
