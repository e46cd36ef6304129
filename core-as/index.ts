// placeholder, replaced by the placement core
export function version(): i32 { return 1 }
