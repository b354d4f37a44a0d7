#!/usr/bin/env node
// The `agentwire` command. A file of its own, not dist/bin.js: npm links a workspace's command
// when it installs, before the root's `prepare` builds dist/, and skips a command whose file
// is not there yet ("agentwire: not found" after `npm ci`).
import '../dist/bin.js';
