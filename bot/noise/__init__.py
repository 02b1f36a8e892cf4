"""Noise control: per channel, between routing and delivery (flap hold, grouping, quiet hours,
digests, reminders). `settings` is a channel's resolved keys, `calendar` the wall-clock arithmetic,
the other modules the rules and the worker that releases what waited."""
