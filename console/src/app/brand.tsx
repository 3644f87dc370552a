/** Tide's mark (a wave), the same as the favicon. */
export function BrandMark({ size = 26 }: { size?: number }) {
  return (
    <svg class="brand-mark" width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#1f5fbf" />
      <path d="M5 19c3.5 0 3.5-4 7-4s3.5 4 7 4 3.5-4 7-4" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" />
    </svg>
  );
}
