// Written from package.json by scripts/write-version.mjs: edit package.json, not this file.
export const PACKAGE_NAME = '@costlens/instrumentation';
export const PACKAGE_VERSION = '0.1.0';
