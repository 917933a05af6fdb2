"""Object detection: anchors and box coding (:mod:`.boxes`), fit targets (:mod:`.targets`), the SSD loss (:mod:`.loss`), mAP
(:mod:`.metric`)."""
