"""The durable engine: orchestration episodes, activities, entities, timers."""
