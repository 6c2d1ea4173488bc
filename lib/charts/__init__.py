"""Chart builders: pure functions DataFrame/result -> altair.Chart, one theme."""
