/** Options for `$api.useInfiniteQuery` over Easel's cursor listings (`next_cursor`).
 *  The first page has no cursor: null is left out of the query string (openapi-react-query
 *  would otherwise send its default page param, 0, as `cursor=0`). */
export const cursorPaging = {
  initialPageParam: null as string | null,
  getNextPageParam: (last: { next_cursor: string | null }) => last.next_cursor ?? undefined,
  pageParamName: "cursor",
};
