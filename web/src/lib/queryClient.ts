import { QueryClient } from "@tanstack/react-query";

// The session already waits out throttling and retries after a refresh; the query layer
// retries only once more for anything else, and never retries a 4xx.
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      retry: (count, error) => {
        const status = (error as { status?: number }).status ?? 0;
        return status >= 500 && count < 1;
      },
    },
  },
});
