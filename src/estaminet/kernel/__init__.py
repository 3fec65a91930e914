"""Shared vocabulary: errors, i18n markers, ids, clock and the live-activity protocol."""
