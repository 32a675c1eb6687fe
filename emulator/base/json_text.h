// Until emulator/server/ includes "base/json.h" itself (its rewrite is on another branch): the
// merge replaces this include there and deletes this file.
#pragma once

#include "base/json.h"
