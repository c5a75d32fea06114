//! Helpers for driving the built page in headless Chromium.
